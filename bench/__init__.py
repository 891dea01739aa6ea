"""Benchmarks run by `make bench` (`python -m bench`): each module here with a `main()` is one benchmark."""
