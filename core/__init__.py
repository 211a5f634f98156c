"""Shared leaf code every app may use: field encryption and blind indexes, masking, the client's address,
safe redirects, the one rate limiter and typed environment settings. It imports no app of the portal."""
