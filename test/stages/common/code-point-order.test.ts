import { compareCodePoints } from '../../../stages/common/code-point-order.js';

test('compareCodePoints orders like Python (astral characters after U+FFFF-range BMP ones)', () => {
  expect(['b', 'a', '\uffff', '😀', 'ab'].sort(compareCodePoints)).toEqual(['a', 'ab', 'b', '\uffff', '😀']);
  // UTF-16 code-unit order would put the surrogate pair of 😀 before U+FFFF.
  expect(['\uffff', '😀'].sort()).toEqual(['😀', '\uffff']);
});
