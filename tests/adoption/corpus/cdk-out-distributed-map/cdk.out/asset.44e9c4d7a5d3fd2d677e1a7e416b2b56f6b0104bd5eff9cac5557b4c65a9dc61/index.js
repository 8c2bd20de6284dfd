"use strict";
exports.handler = async () => ({});
