export * from './server.ts';
export * from './store.ts';
export * from './manage.ts';
export { archiveNames, archiveProblem } from './archive.ts';
