// The YAML parser, imported dynamically by the readers of the YAML layout (a `status` never loads
// it). Through this module, not `import('yaml')` itself: yaml is CommonJS, and a dynamic import of a
// CommonJS package in a split build gives only its default export (build.mjs refuses one).
export { parseDocument } from 'yaml';
