"""The master's answer to each request: the `response` row and the `responses` stream."""
