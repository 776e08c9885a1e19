// The train stage is not built yet; see packages/train/README.md.
export {};
