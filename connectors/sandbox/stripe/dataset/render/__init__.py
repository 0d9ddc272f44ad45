"""Records -> Stripe objects, as API version 2023-08-16 returns them, one module a resource."""
