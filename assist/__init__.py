"""assist package."""
