"""Apps over a finished run or a suite: gate, serve, export (files, MLflow), scaffold (`harness init`)."""
