"""What each network mounts: routes, dependencies, alerting and command lines built over the
contract in `shared/`. Only this package of `shared` may import FastAPI, Starlette or typer."""
