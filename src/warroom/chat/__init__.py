"""Chat adapters, one module per platform. They translate; they decide nothing."""
