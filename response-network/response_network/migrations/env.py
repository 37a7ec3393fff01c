from alembic import context

from core.migrations import run_env
from response_network.db import Base, load_models

load_models()
run_env(context.config, Base.metadata)
