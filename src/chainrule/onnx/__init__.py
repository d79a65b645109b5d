"""``cr.onnx.export``: a trained model as an ONNX file, for ONNX Runtime, browsers, phones
and other frameworks. The onnx package is imported only when a model is exported
(``pip install "chainrule[onnx]"``), so ``import chainrule`` still needs NumPy alone."""

from .layers import ExportError
from .model import OnnxUnavailableError, export

__all__ = ["ExportError", "OnnxUnavailableError", "export"]
