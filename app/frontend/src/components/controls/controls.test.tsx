// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COLORMAPS } from '../../lib/colormaps';
import { click, render, type Rendered } from '../../test/render';
import { ColormapPicker } from './ColormapPicker';
import { SegmentedControl, type SegmentedOption } from './SegmentedControl';

const OPTIONS: SegmentedOption<'map' | 'layer' | 'abs'>[] = [
  { value: 'map', label: 'Per map', title: 'each map on its own range', testId: 'norm-map' },
  { value: 'layer', label: 'Per layer', title: 'one range over the heads of a layer', testId: 'norm-layer' },
  { value: 'abs', label: <b>Absolute</b> },
];

let shown: Rendered | null = null;
afterEach(() => {
  shown?.unmount();
  shown = null;
});

const radios = (root: HTMLElement) => [...root.querySelectorAll<HTMLButtonElement>('[role="radio"]')];
const checked = (root: HTMLElement) => radios(root).filter((r) => r.getAttribute('aria-checked') === 'true');

describe('SegmentedControl', () => {
  it('is a radio group labelled by its control label, one button per option in order', () => {
    shown = render(<SegmentedControl options={OPTIONS} value="layer" onChange={() => {}} labelledBy="norm-label" testId="normalisation" />);
    const group = shown.container.querySelector('[data-testid="normalisation"]')!;
    expect(group.getAttribute('role')).toBe('radiogroup');
    expect(group.getAttribute('aria-labelledby')).toBe('norm-label');
    expect(group.className).toBe('segmented');
    const buttons = radios(shown.container);
    expect(buttons.map((b) => b.textContent)).toEqual(['Per map', 'Per layer', 'Absolute']);
    expect(buttons.map((b) => b.getAttribute('data-testid'))).toEqual(['norm-map', 'norm-layer', null]);
    expect(buttons.map((b) => b.title)).toEqual(['each map on its own range', 'one range over the heads of a layer', '']);
    expect(buttons.every((b) => b.type === 'button')).toBe(true);
    expect(buttons[2]!.querySelector('b')?.textContent).toBe('Absolute');
  });

  it('marks exactly the chosen option, and follows the value it is given', () => {
    shown = render(<SegmentedControl options={OPTIONS} value="layer" onChange={() => {}} labelledBy="l" />);
    expect(checked(shown.container).map((b) => b.textContent)).toEqual(['Per layer']);
    expect(radios(shown.container).map((b) => b.className)).toEqual(['', 'active', '']);
    shown.rerender(<SegmentedControl options={OPTIONS} value="abs" onChange={() => {}} labelledBy="l" />);
    expect(checked(shown.container).map((b) => b.textContent)).toEqual(['Absolute']);
    expect(radios(shown.container).map((b) => b.className)).toEqual(['', '', 'active']);
  });

  it('reports the clicked option and leaves the choice to its owner', () => {
    const onChange = vi.fn();
    shown = render(<SegmentedControl options={OPTIONS} value="map" onChange={onChange} labelledBy="l" />);
    click(radios(shown.container)[2]!);
    click(radios(shown.container)[0]!);
    expect(onChange.mock.calls).toEqual([['abs'], ['map']]);
    expect(checked(shown.container).map((b) => b.textContent)).toEqual(['Per map']); // controlled: unchanged until re-rendered
  });
});

describe('ColormapPicker', () => {
  it('shows every colormap as a gradient swatch named for screen readers', () => {
    shown = render(<ColormapPicker value="magma" onChange={() => {}} labelledBy="cmap-label" testId="colormap" />);
    const group = shown.container.querySelector('[data-testid="colormap"]')!;
    expect(group.className).toBe('swatches');
    expect(group.getAttribute('aria-labelledby')).toBe('cmap-label');
    expect(group.hasAttribute('aria-label')).toBe(false);
    const swatches = radios(shown.container);
    expect(swatches.map((s) => s.getAttribute('aria-label'))).toEqual([...COLORMAPS]);
    expect(swatches.map((s) => s.getAttribute('data-testid'))).toEqual(COLORMAPS.map((c) => `cmap-${c}`));
    for (const swatch of swatches) {
      expect(swatch.textContent).toBe('');
      expect(swatch.style.backgroundImage).toMatch(/^linear-gradient\(to right, #[0-9a-f]{6} 0\.0%, .* 100\.0%\)$/);
    }
    // viridis runs from dark purple to yellow; gray from black to white
    expect(swatches[0]!.style.backgroundImage).toMatch(/^linear-gradient\(to right, #440154 0\.0%, .*#fde725 100\.0%\)$/);
    expect(swatches[3]!.style.backgroundImage).toMatch(/^linear-gradient\(to right, #000000 0\.0%, .*#ffffff 100\.0%\)$/);
    expect(checked(shown.container).map((s) => s.title)).toEqual(['magma']);
    expect(swatches.map((s) => s.className)).toEqual(['swatch', 'swatch active', 'swatch', 'swatch']);
  });

  it('inline, without a label element: a small row labelled "Colormap"', () => {
    shown = render(<ColormapPicker value="viridis" onChange={() => {}} inline testId="dash-colormap" />);
    const group = shown.container.querySelector('[data-testid="dash-colormap"]')!;
    expect(group.className).toBe('swatches swatches-inline');
    expect(group.getAttribute('aria-label')).toBe('Colormap');
    expect(group.hasAttribute('aria-labelledby')).toBe(false);
  });

  it('reports the clicked colormap', () => {
    const onChange = vi.fn();
    shown = render(<ColormapPicker value="viridis" onChange={onChange} />);
    click(shown.container.querySelector('[data-testid="cmap-turbo"]'));
    click(shown.container.querySelector('[data-testid="cmap-gray"]'));
    expect(onChange.mock.calls).toEqual([['turbo'], ['gray']]);
  });
});
