from response_network.cli import app

app(prog_name="airlock-response")
