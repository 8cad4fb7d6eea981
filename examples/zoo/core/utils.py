import secrets


def default_code():
    """A short random code for objects created before anyone has named them."""
    return secrets.token_hex(4).upper()
