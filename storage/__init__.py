"""SQL storage of okrbot: the schema, the engine and the migrations."""
