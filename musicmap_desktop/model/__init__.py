"""Backbone model: Musicnn port (torch), its log-mel front-end, the album models, checkpoint conversion.

Modules: ``configuration`` (the audio constants), ``melspec`` (audio -> log-mel windows),
``musicnn`` (the network), ``lean`` (the same network without its dead filters, the engines'
default), ``backbone`` / ``ort_backbone`` (segments -> window features and pools, in torch or
ONNX Runtime), ``onnx_export`` (the bundled ONNX graphs), ``registry`` (bundled weights and
their digest), ``digest`` (a model file's sha256), ``zwccn`` (the closed-form album model:
window features + pools -> track vectors, numpy), ``album`` / ``aggregate`` (the seed's
trained heads, mean‖max), ``model_file`` / ``load_album`` (album-model files: what both kinds
share, opening either), ``finetuned`` (a fine-tuned top), ``tf_checkpoint`` + ``convert``
(one-off conversion of the official TF checkpoints; numpy only). No core, GUI or Qt here:
cache ids are made in core/store/ids.py.
"""
