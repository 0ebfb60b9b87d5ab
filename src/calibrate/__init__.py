"""calibrate: sales and marketing agree, with numbers, on what a sales-ready lead is."""

__version__ = "0.1.0"
