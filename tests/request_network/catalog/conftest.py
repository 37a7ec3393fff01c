"""Both networks sharing one transfer directory: the catalog comes from the master."""

from tests.shared.exchange.conftest import networks  # noqa: F401 - two runtimes, one transfer dir
