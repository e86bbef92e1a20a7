"""Loads the access-list benchmark's models into a fresh MLflow registry database.

    <venv>/bin/python bench/mlflow-load.py sqlite:////tmp/x/mlflow.db < models.jsonl

MLflow's own store creates the schema (its migrations, as `mlflow server` would); the registered
models and their tags then go straight into its tables in one transaction (100,000 through the
REST API would take the better part of an hour). Each JSON line: name, description, created and
updated (ms since the epoch), tags (key -> value). Prints the number of models loaded.
"""
import json
import sqlite3
import sys

from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

uri = sys.argv[1]
if not uri.startswith("sqlite:///"):
    sys.exit("only sqlite:/// URIs are supported")
SqlAlchemyStore(uri)  # creates the schema

db = sqlite3.connect(uri[len("sqlite:///"):])
models, tags = [], []
for line in sys.stdin:
    m = json.loads(line)
    models.append((m["name"], m["created"], m["updated"], m["description"], "default"))
    tags.extend((key, value, m["name"], "default") for key, value in m["tags"].items())
with db:
    db.executemany(
        "INSERT INTO registered_models (name, creation_time, last_updated_time, description, workspace) VALUES (?, ?, ?, ?, ?)",
        models,
    )
    db.executemany("INSERT INTO registered_model_tags (key, value, name, workspace) VALUES (?, ?, ?, ?)", tags)
db.close()
print(len(models))
