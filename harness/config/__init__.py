"""The suite (suite.py: the Suite model, load_suite) and its schema's parts and checks: shared knob
blocks, templates, search spaces, YAML line lookup."""
