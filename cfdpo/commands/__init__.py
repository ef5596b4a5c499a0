"""One module per CLI subcommand; each exposes ``main(argv)``."""
