"""`airlock-client`: the request network from a terminal."""
