"""The suite schema's parts and checks: shared knob blocks, templates, search spaces, YAML line lookup."""
