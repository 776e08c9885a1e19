// The llc stage is not built yet; see packages/llc/README.md.
export {};
