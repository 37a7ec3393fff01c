from request_network.cli import app

app(prog_name="airlock-request")
