"""Requests imported from the request network: the operator queue, automated answers and
the `responses` stream that carries their states and answers back."""
