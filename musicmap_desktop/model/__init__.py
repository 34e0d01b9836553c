"""Backbone model: Musicnn port (torch), its log-mel front-end, checkpoint conversion.

Modules: ``melspec`` (audio -> log-mel windows), ``musicnn`` (the network),
``registry`` (bundled weights, model ids), ``tf_checkpoint`` + ``convert``
(one-off conversion of the official TF checkpoints; numpy only).
"""
