// The report stage is not built yet; see packages/report/README.md.
export {};
