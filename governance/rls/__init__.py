"""Row-level security: the compiler every read of tenant data goes through."""
