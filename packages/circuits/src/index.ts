// The circuits stage is not built yet; see packages/circuits/README.md.
export {};
