"""Cases: trafficking and smuggling cases, shares, cooperation requests."""
