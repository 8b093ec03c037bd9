/**
 * The machine's baseline for bench/run.ts: a bare express 5 app (default settings, no middleware)
 * whose one route answers a small JSON body shaped like what GET /fhir/Patient/{id} returns.
 * Started by bench/run.ts as a child process with the same settings as the FHIR server
 * (NODE_ENV=production, node --import tsx, 127.0.0.1).
 */
import express from 'express';
import { samplePatient } from './fixtures.js';

const app = express();
const lastUpdated = new Date().toISOString();

app.get('/readyz', (_req, res) => {
  res.json({ status: 'ok' });
});

app.get('/fhir/Patient/:id', (req, res) => {
  res.json({ ...samplePatient(1), id: req.params.id, meta: { versionId: '1', lastUpdated } });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
