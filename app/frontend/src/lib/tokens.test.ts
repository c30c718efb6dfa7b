import { describe, expect, it } from 'vitest';
import { tokensBody } from '../test/fixtures';
import {
  clampRange,
  defaultTokens,
  describeSelection,
  displayToken,
  formatShare,
  formatTokenParam,
  groupTokens,
  IDLE_PICKER,
  isSelected,
  massAt,
  massScaleMax,
  massTint,
  MAX_TINT,
  parseTokenParam,
  pickerDown,
  pickerOver,
  pickerUp,
  selectionText,
  stepSelection,
  tokenRange,
  type PickerState,
} from './tokens';

const { tokens } = tokensBody(); // 0 template, 1–3 prompt, 4–5 template, 6–9 answer
const ALL = tokens.map((t) => t.index);
const VISIBLE = tokens.filter((t) => t.role !== 'template').map((t) => t.index); // 1,2,3,6,7,8,9
const ANSWER = [6, 7, 8, 9];

describe('token parameters', () => {
  it('parses one token or an inclusive range, in order', () => {
    expect(parseTokenParam('12')).toEqual({ start: 12, end: 12 });
    expect(parseTokenParam('12-30')).toEqual({ start: 12, end: 30 });
    expect(parseTokenParam(' 30 - 12 ')).toEqual({ start: 12, end: 30 });
    expect(parseTokenParam('0-0')).toEqual({ start: 0, end: 0 });
  });
  it('refuses anything else', () => {
    for (const bad of [null, undefined, '', 'a', '-1', '1-', '1-2-3', '1.0', '+1', '1,2', '9999999']) expect(parseTokenParam(bad)).toBeNull();
  });
  it("formats the API's form and round-trips", () => {
    expect(formatTokenParam(null)).toBeNull();
    expect(formatTokenParam({ start: 4, end: 4 })).toBe('4');
    expect(formatTokenParam({ start: 4, end: 9 })).toBe('4-9');
    for (const text of ['0', '7', '3-11']) expect(formatTokenParam(parseTokenParam(text))).toBe(text);
  });
  it('clamps a range to the token count', () => {
    expect(clampRange({ start: 3, end: 20 }, 10)).toEqual({ start: 3, end: 9 });
    expect(clampRange({ start: 3, end: 5 }, 10)).toEqual({ start: 3, end: 5 });
    expect(clampRange({ start: 10, end: 12 }, 10)).toBeNull();
    expect(clampRange({ start: 0, end: 0 }, 0)).toBeNull();
  });
});

describe('what a map without a token averages', () => {
  it('is every answer token, or every token when there is no answer', () => {
    expect(defaultTokens(tokens)).toEqual(ANSWER);
    expect(defaultTokens(tokens.filter((t) => t.role !== 'answer'))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(isSelected(7, null, ANSWER)).toBe(true);
    expect(isSelected(2, null, ANSWER)).toBe(false);
    expect(isSelected(2, { start: 1, end: 3 }, ANSWER)).toBe(true);
    expect(isSelected(4, { start: 1, end: 3 }, ANSWER)).toBe(false);
  });
});

describe('choosing tokens with the pointer', () => {
  const press = (state: PickerState, index: number, shift = false, current = null as ReturnType<typeof tokenRange> | null) =>
    pickerDown(state, index, shift, current);

  it('a click chooses one token', () => {
    let state = press(IDLE_PICKER, 7);
    expect(state).toEqual({ anchor: 7, range: { start: 7, end: 7 }, dragging: true });
    const up = pickerUp(state);
    expect(up.commit).toEqual({ start: 7, end: 7 });
    state = up.state;
    expect(state.dragging).toBe(false);
  });

  it('a drag chooses the range it covers, live while moving', () => {
    let state = press(IDLE_PICKER, 6);
    state = pickerOver(state, 7);
    expect(state.range).toEqual({ start: 6, end: 7 });
    state = pickerOver(state, 9);
    expect(state.range).toEqual({ start: 6, end: 9 });
    state = pickerOver(state, 8); // back a little
    expect(pickerUp(state).commit).toEqual({ start: 6, end: 8 });
  });

  it('a reversed drag (right to left) gives the same, ordered range', () => {
    let state = press(IDLE_PICKER, 9);
    state = pickerOver(state, 8);
    state = pickerOver(state, 6);
    expect(pickerUp(state).commit).toEqual({ start: 6, end: 9 });
    expect(tokenRange(9, 6)).toEqual({ start: 6, end: 9 });
  });

  it('moving without the button down, or over the same token, changes nothing', () => {
    expect(pickerOver(IDLE_PICKER, 3)).toBe(IDLE_PICKER);
    const state = press(IDLE_PICKER, 3);
    expect(pickerOver(state, 3)).toBe(state);
    expect(pickerUp(IDLE_PICKER)).toEqual({ state: IDLE_PICKER, commit: null });
  });

  it('shift-click extends from the last click (either way), keeping the anchor', () => {
    let state = pickerUp(press(IDLE_PICKER, 7)).state;
    state = press(state, 9, true);
    expect(state.range).toEqual({ start: 7, end: 9 });
    state = pickerUp(state).state;
    state = press(state, 2, true);
    expect(state.anchor).toBe(7);
    expect(pickerUp(state).commit).toEqual({ start: 2, end: 7 });
  });

  it('shift-click with no click before extends from the selection on screen (from the URL)', () => {
    const state = press(IDLE_PICKER, 9, true, { start: 3, end: 5 });
    expect(pickerUp(state).commit).toEqual({ start: 3, end: 9 });
    expect(pickerUp(press(IDLE_PICKER, 4, true)).commit).toEqual({ start: 4, end: 4 });
  });
});

describe('choosing tokens with the keyboard', () => {
  it('from the whole answer: → the first answer token, ← the last', () => {
    expect(stepSelection(null, 1, VISIBLE, { defaults: ANSWER })).toEqual({ start: 6, end: 6 });
    expect(stepSelection(null, -1, VISIBLE, { defaults: ANSWER })).toEqual({ start: 9, end: 9 });
    expect(stepSelection(null, 1, VISIBLE)).toEqual({ start: 1, end: 1 });
  });
  it('moves one visible token at a time, skipping folded template tokens, and stops at the ends', () => {
    expect(stepSelection({ start: 7, end: 7 }, 1, VISIBLE)).toEqual({ start: 8, end: 8 });
    expect(stepSelection({ start: 6, end: 6 }, -1, VISIBLE)).toEqual({ start: 3, end: 3 });
    expect(stepSelection({ start: 6, end: 6 }, -1, ALL)).toEqual({ start: 5, end: 5 });
    expect(stepSelection({ start: 9, end: 9 }, 1, VISIBLE)).toEqual({ start: 9, end: 9 });
    expect(stepSelection({ start: 1, end: 1 }, -1, VISIBLE)).toEqual({ start: 1, end: 1 });
  });
  it('from a range, → goes past its end and ← before its start', () => {
    expect(stepSelection({ start: 2, end: 7 }, 1, VISIBLE)).toEqual({ start: 8, end: 8 });
    expect(stepSelection({ start: 2, end: 7 }, -1, VISIBLE)).toEqual({ start: 1, end: 1 });
  });
  it('with shift, moves the end away from the anchor', () => {
    expect(stepSelection({ start: 6, end: 6 }, 1, VISIBLE, { extend: true, anchor: 6 })).toEqual({ start: 6, end: 7 });
    expect(stepSelection({ start: 6, end: 8 }, -1, VISIBLE, { extend: true, anchor: 6 })).toEqual({ start: 6, end: 7 });
    expect(stepSelection({ start: 6, end: 8 }, -1, VISIBLE, { extend: true, anchor: 8 })).toEqual({ start: 3, end: 8 });
    // past the anchor: the range flips to the other side
    expect(stepSelection({ start: 6, end: 6 }, -1, VISIBLE, { extend: true, anchor: 6 })).toEqual({ start: 3, end: 6 });
    // an anchor that is not an end of the selection: its start
    expect(stepSelection({ start: 6, end: 8 }, 1, VISIBLE, { extend: true, anchor: 2 })).toEqual({ start: 6, end: 9 });
  });
  it('does nothing without tokens', () => {
    expect(stepSelection({ start: 1, end: 1 }, 1, [])).toEqual({ start: 1, end: 1 });
    expect(stepSelection(null, 1, [])).toBeNull();
  });
});

describe('display', () => {
  it('groups consecutive tokens by role', () => {
    expect(groupTokens(tokens).map((g) => [g.role, g.tokens.map((t) => t.index)])).toEqual([
      ['template', [0]],
      ['prompt', [1, 2, 3]],
      ['template', [4, 5]],
      ['answer', [6, 7, 8, 9]],
    ]);
    expect(groupTokens([])).toEqual([]);
  });
  it('shows whitespace that would vanish', () => {
    expect(displayToken('\n')).toBe('↵');
    expect(displayToken('a\tb')).toBe('a⇥b');
    expect(displayToken('')).toBe('∅');
    expect(displayToken(' astronaut')).toBe(' astronaut');
  });
  it('says what is selected, and its text', () => {
    expect(describeSelection(null, tokens)).toBe('the whole answer (4 tokens)');
    expect(describeSelection({ start: 7, end: 7 }, tokens)).toBe('token 7 “astronaut”');
    expect(describeSelection({ start: 6, end: 9 }, tokens)).toBe('tokens 6–9 (4)');
    expect(describeSelection(null, tokens.slice(0, 4))).toBe('all 4 tokens');
    expect(selectionText(null, tokens)).toBe('An astronaut in space');
    expect(selectionText({ start: 2, end: 3 }, tokens)).toBe(' this image.');
  });
});

describe('image-mass tint', () => {
  const mass = [
    [0.1, 0.5],
    [0.2, Number.NaN],
    [0.4, 0.25],
  ];
  it('reads one token at one layer, 0 when missing', () => {
    expect(massAt(mass, 2, 0)).toBe(0.4);
    expect(massAt(mass, 1, 1)).toBe(0);
    expect(massAt(mass, 5, 0)).toBe(0);
    expect(massAt(mass, 0, 9)).toBe(0);
  });
  it('scales from 0 to the largest mass at the layer', () => {
    expect(massScaleMax(mass, 0)).toBe(0.4);
    expect(massScaleMax(mass, 1)).toBe(0.5);
    expect(massScaleMax([], 0)).toBe(0);
  });
  it('tints linearly, strongest at the top of the scale, none for no mass', () => {
    expect(massTint(0.4, 0.4)).toBe(MAX_TINT);
    expect(massTint(0.2, 0.4)).toBeCloseTo(MAX_TINT / 2, 3);
    expect(massTint(0, 0.4)).toBe(0);
    expect(massTint(0.8, 0.4)).toBe(MAX_TINT); // clipped
    expect(massTint(0.1, 0)).toBe(0);
    expect(massTint(Number.NaN, 0.4)).toBe(0);
    expect(massTint(-0.1, 0.4)).toBe(0);
    const tints = [0, 0.1, 0.2, 0.3, 0.4].map((m) => massTint(m, 0.4));
    expect(tints).toEqual([...tints].sort((a, b) => a - b));
  });
  it('labels shares as percentages', () => {
    expect(formatShare(0.374)).toBe('37%');
    expect(formatShare(0.0437)).toBe('4.4%');
    expect(formatShare(0.0004)).toBe('<0.1%');
    expect(formatShare(0)).toBe('0%');
    expect(formatShare(1)).toBe('100%');
  });
});
