"""Grad-CAM against independent computations: plain autograd with hooks, and CAM's closed form."""

from __future__ import annotations

import pytest
import torch

from ssl_attention.attention.gradcam import GradCam
from ssl_attention.models.base import Normalization
from ssl_attention.models.resnet import ResNetAdapter, feature_grid
from tests.tiny_cnn import CNN_IMAGE_SIZE, tiny_resnet

NORM = Normalization((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


def reference_gradcam(model: torch.nn.Module, pixels: torch.Tensor, classes: list[int]) -> torch.Tensor:
    """Grad-CAM image by image: a forward hook keeps the last stage's output, `retain_grad` its gradient."""
    maps = []
    for image, target in zip(pixels, classes, strict=True):
        kept: dict[str, torch.Tensor] = {}

        def keep(module: torch.nn.Module, args: object, output: torch.Tensor, kept: dict = kept) -> None:
            output.retain_grad()
            kept["a"] = output

        hook = model.resnet.encoder.stages[-1].register_forward_hook(keep)
        x = image[None].clone().requires_grad_(True)  # a graph through the whole network
        logits = model(pixel_values=x).logits
        hook.remove()
        logits[0, target].backward()
        activation, gradient = kept["a"][0], kept["a"].grad[0]
        alpha = gradient.sum(dim=(1, 2)) / (gradient.shape[1] * gradient.shape[2])
        maps.append(torch.relu(torch.einsum("k,kij->ij", alpha, activation.detach())))
    return torch.stack(maps)


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    return tiny_resnet()


def test_gradcam_equals_autograd_with_hooks_for_the_top_class(model: torch.nn.Module) -> None:
    torch.manual_seed(1)
    pixels = torch.randn(3, 3, CNN_IMAGE_SIZE, CNN_IMAGE_SIZE)
    maps, classes = GradCam(ResNetAdapter(model, NORM))(pixels)
    with torch.no_grad():
        top = model(pixel_values=pixels).logits.argmax(dim=-1)
    assert classes.tolist() == top.tolist()
    assert maps.shape == (3, *feature_grid(CNN_IMAGE_SIZE))
    expected = reference_gradcam(model, pixels, top.tolist())
    torch.testing.assert_close(maps, expected, rtol=1e-5, atol=1e-6)
    assert (maps > 0).any()


def test_gradcam_of_a_chosen_class_equals_the_cam_closed_form(model: torch.nn.Module) -> None:
    """Global average pooling then a linear layer: ∂y_c/∂A_k[i,j] = W[c,k]/(hw), so Grad-CAM is
    ReLU(Σ_k W[c,k]·A_k)/(hw) (Zhou et al.'s CAM)."""
    torch.manual_seed(2)
    pixels = torch.randn(2, 3, CNN_IMAGE_SIZE, CNN_IMAGE_SIZE)
    maps, classes = GradCam(ResNetAdapter(model, NORM), target_class=3)(pixels)
    assert classes.tolist() == [3, 3]
    with torch.no_grad():
        activation = model.resnet(pixel_values=pixels, output_hidden_states=True).hidden_states[-1]
    weight = model.classifier[1].weight[3]
    h, w = activation.shape[-2:]
    closed = torch.relu(torch.einsum("k,bkij->bij", weight, activation)) / (h * w)
    torch.testing.assert_close(maps, closed, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(maps, reference_gradcam(model, pixels, [3, 3]), rtol=1e-5, atol=1e-6)


def test_a_class_outside_the_head_is_refused(model: torch.nn.Module) -> None:
    with pytest.raises(ValueError, match=r"outside 0\.\.4"):
        GradCam(ResNetAdapter(model, NORM), target_class=5)(torch.zeros(1, 3, 64, 64))


@pytest.mark.parametrize(("size", "grid"), [(224, (7, 7)), (64, (2, 2)), (100, (4, 4)), (32, (1, 1))])
def test_the_feature_grid_is_the_last_stage_shape(
    model: torch.nn.Module, size: int, grid: tuple[int, int]
) -> None:
    assert feature_grid(size) == grid
    with torch.no_grad():
        out = model.resnet(pixel_values=torch.zeros(1, 3, size, size), output_hidden_states=True)
    assert tuple(out.hidden_states[-1].shape[-2:]) == grid
