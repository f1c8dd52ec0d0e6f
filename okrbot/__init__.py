"""The composition root: wires the neutral core, the storage and the platform adapters together.

It lives apart from bot/ (which must never import a platform SDK) and from adapters/ (which only
translate), because starting the program means knowing both.
"""
