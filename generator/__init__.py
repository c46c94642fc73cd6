"""Synthetic short-video platform logs with planted influence operations (see generator.synth)."""
from .synth import add_arguments, generate, run

__all__ = ["add_arguments", "generate", "run"]
