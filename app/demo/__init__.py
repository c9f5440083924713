"""Demo data: a plausible Lạng Sơn registry to try the product with."""
