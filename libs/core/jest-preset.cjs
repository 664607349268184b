// Rampart's Jest preset: add `"preset": "@rampart/core"` to the Jest config of your project.
// jose, the JOSE library behind @rampart/auth, is published as ES modules only, and Jest's
// CommonJS runtime cannot load those (before Node 24.9) unless its transform compiles them like
// your own code. Everything else in node_modules stays untransformed, as in Jest's default.
module.exports = {
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)', '\\.pnp\\.[^\\/]+$'],
};
