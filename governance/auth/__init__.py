"""Sign-in primitives: password hashes, one-time codes, opaque tokens, client networks, and the
control-plane rows they live in. The flows that use them (and audit them) are ``services.auth``."""
