"""The model registry: every model a trainer can build, by name.

Each family module (`letter_nets`: the Sign Language MNIST course's
networks; `photo_nets`: the cats/dogs course's) owns its models and their names;
`layers` holds what they share. This registry gathers the families, and
takes models from elsewhere two ways:

- `register("my_net")` as a decorator, for code that imports us;
- a `package.module:function` name, for `--model` on the command line: the
  module is imported and `function(input_shape=..., num_classes=...)` is
  called.

Every model takes float images in [0, 1], NHWC, and returns class
probabilities. `build_model` rejects options a builder does not take with a
message that lists the ones it does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import importlib
import inspect
from typing import Any

import keras

from trainers.models import layers
from trainers.models import letter_nets
from trainers.models import photo_nets

ModelBuilder = Callable[..., keras.Model]

_REGISTRY: dict[str, ModelBuilder] = {**letter_nets.MODELS, **photo_nets.MODELS}

# Saved models name this layer; re-exported for code that builds its own.
LocalResponseNormalization = layers.LocalResponseNormalization
classifier_head = layers.classifier_head


def register(name: str) -> Callable[[ModelBuilder], ModelBuilder]:
  """Registers a model builder under `name`.

  Args:
    name: The name `build_model` and the `--model` flags use.

  Returns:
    A decorator that records the builder and returns it unchanged. The
    builder takes keyword-only `input_shape`, `num_classes` and its own
    options, and returns a `keras.Model`.

  Raises:
    ValueError: if another builder already has this name, or the name
      contains `:` (which marks `module:function` names).
  """
  if ":" in name:
    raise ValueError(f"Model names cannot contain ':' ({name!r}); it marks "
                     "a package.module:function name.")

  def decorator(builder: ModelBuilder) -> ModelBuilder:
    if name in _REGISTRY and _REGISTRY[name] is not builder:
      raise ValueError(f"A model named {name!r} is already registered "
                       f"(by {_REGISTRY[name].__module__}); pick another name.")
    _REGISTRY[name] = builder
    return builder

  return decorator


def registered_names() -> tuple[str, ...]:
  """Every registered model name, sorted."""
  return tuple(sorted(_REGISTRY))


def is_external(name: str) -> bool:
  """Whether `name` is a `package.module:function` name."""
  return ":" in name


def model_options(name: str) -> tuple[str, ...]:
  """The extra keyword options the model `name` accepts.

  Args:
    name: A registered model name, or `package.module:function`.

  Returns:
    The option names, excluding `input_shape` and `num_classes`.

  Raises:
    ValueError: for an unknown name, or a function that cannot be imported.
  """
  params = inspect.signature(builder(name)).parameters
  return tuple(p for p in params if p not in ("input_shape", "num_classes")
               and params[p].kind in (inspect.Parameter.KEYWORD_ONLY,
                                      inspect.Parameter.POSITIONAL_OR_KEYWORD))


def check_options(name: str, options: Mapping[str, Any]) -> None:
  """Refuses options that the model `name` does not take.

  Args:
    name: A registered model name, or `package.module:function`.
    options: The model options asked for.

  Raises:
    ValueError: for an unknown model, or naming the options it does not
      take and those it does.
  """
  unknown = sorted(set(options) - set(model_options(name)))
  if unknown:
    raise ValueError(f"Model {name!r} takes no option(s) {unknown}; it takes "
                     f"{list(model_options(name)) or 'none'}.")


def builder(name: str) -> ModelBuilder:
  """The function that builds model `name`.

  Args:
    name: A registered model name, or `package.module:function`.

  Returns:
    The builder.

  Raises:
    ValueError: for an unknown name, a module that cannot be imported, or a
      missing or non-callable function; the message says which.
  """
  if not is_external(name):
    try:
      return _REGISTRY[name]
    except KeyError:
      raise ValueError(
          f"Unknown model {name!r}; choose one of "
          f"{list(registered_names())}, or give package.module:function."
      ) from None
  module_name, _, function_name = name.partition(":")
  try:
    module = importlib.import_module(module_name)
  except ImportError as e:
    raise ValueError(f"Model {name!r}: cannot import {module_name!r} ({e}); "
                     "is it on PYTHONPATH?") from None
  function = getattr(module, function_name, None)
  if not callable(function):
    raise ValueError(f"Model {name!r}: {module_name} has no function "
                     f"{function_name!r}.")
  return function


def build_model(name: str, *, input_shape: Sequence[int], num_classes: int,
                **options: Any) -> keras.Model:
  """Builds a registered or `package.module:function` model.

  Args:
    name: A registered model name, e.g. `dli_cnn`, or
      `package.module:function` for a function taking keyword arguments
      `input_shape` and `num_classes` (and any options) and returning a
      Keras model that outputs class probabilities.
    input_shape: Image shape (height, width, channels).
    num_classes: Size of the softmax output.
    **options: Model-specific options, e.g. `activation="relu"`.

  Returns:
    A built `keras.Model` mapping [0, 1] images to class probabilities.

  Raises:
    ValueError: for an unknown name, an option the model does not take, a
      bad shape or class count, or a function that returns no Keras model
      of the right output size.
  """
  build = builder(name)
  if len(input_shape) != 3 or any(int(d) < 1 for d in input_shape):
    raise ValueError(f"input_shape must be (height, width, channels) with "
                     f"positive sizes, got {tuple(input_shape)}")
  if num_classes < 2:
    raise ValueError(f"num_classes must be at least 2, got {num_classes}")
  check_options(name, options)
  model = build(input_shape=tuple(int(d) for d in input_shape),
                num_classes=int(num_classes), **options)
  if not isinstance(model, keras.Model):
    raise ValueError(f"Model {name!r} returned {type(model).__name__}, not a "
                     "keras.Model (a Keras 3 model: `import keras`).")
  if not model.built:
    model.build((None, *input_shape))
  outputs = getattr(model, "outputs", None)
  if outputs and outputs[0].shape[-1] != num_classes:
    raise ValueError(
        f"Model {name!r} outputs {outputs[0].shape[-1]} values per "
        f"image; the dataset has {num_classes} classes.")
  return model
