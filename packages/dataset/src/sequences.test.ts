import { ArtifactError, ConfigError } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { generateDataset } from './dataset.ts';
import { DatasetConfigSchema } from './schema.ts';
import { checkSequences } from './sequences.ts';

const shape = (n: number, maxNumber: number) => ({ n_ctx: 2 * n + 1, d_vocab: maxNumber + 2, list_length: n });
const data = (n: number, maxNumber: number, noise?: object) =>
  generateDataset(DatasetConfigSchema.parse({ list_length: n, max_number: maxNumber, n_train: 20, n_validation: 20, n_test: 0, ...(noise ? { noise } : {}) })).splits.train.tokens;

describe('checkSequences', () => {
  it('accepts the rows of the model’s own vocabulary and length, noisy ones too', () => {
    expect(checkSequences(data(10, 50), shape(10, 50), 'x.u8')).toBe(20);
    expect(checkSequences(data(10, 50, { kind: 'token', p: 0.5 }), shape(10, 50), 'x.u8')).toBe(20);
  });

  it('refuses another vocabulary whose tokens all fit (SEP in the wrong place)', () => {
    const other = data(10, 40); // SEP 41 < d_vocab 52
    expect(() => checkSequences(other, shape(10, 50), 'other.u8')).toThrow(ArtifactError);
    expect(() => checkSequences(other, shape(10, 50), 'other.u8')).toThrow(/other\.u8: row 0 has token 41 where SEP \(51\) belongs; expected rows of 10 numbers, SEP = 51 at position 10/);
  });

  it('refuses rows of another length when the byte count still divides', () => {
    const six = data(6, 50); // 13-token rows; 21 × 13 bytes of them divide into 13 rows of 21
    const rows = new Uint8Array(21 * 13);
    for (let i = 0; i < rows.length; i++) rows[i] = six[i % six.length];
    expect(() => checkSequences(rows, shape(10, 50), 'short.u8')).toThrow(/short\.u8: row 0 has (token \d+ where SEP|SEP \(51\) at position 6)/);
  });

  it('names out-of-vocabulary tokens and a byte count that does not divide', () => {
    const t = data(10, 50);
    t[21 + 3] = 60;
    expect(() => checkSequences(t, shape(10, 50), 'x.u8')).toThrow(/x\.u8: token 60 at row 1, position 3 is outside the model's vocabulary \(d_vocab 52\)/);
    expect(() => checkSequences(new Uint8Array(10), shape(4, 15), 'bad.u8')).toThrow(ConfigError);
    expect(() => checkSequences(new Uint8Array(10), shape(4, 15), 'bad.u8')).toThrow(/10 bytes is not a whole number of 9-token rows/);
  });
});
