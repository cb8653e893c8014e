"""spikeplast benchmarks: ``python -m benchmarks`` runs the suite (see ``__main__``)."""
