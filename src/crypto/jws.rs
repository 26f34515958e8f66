//! JWS compact serialization (RFC 7515) and VC-JOSE credentials: placeholder.
