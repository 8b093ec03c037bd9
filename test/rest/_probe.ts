import { createTestApp } from '../helpers/app.js';
import request from 'supertest';
const t = await createTestApp({ FHIR_MAX_BODY: '1kb' });
const c = await request(t.app).post('/fhir/Patient').set('Content-Type','application/fhir+json').send('{"resourceType":"Patient","active":true}');
console.log('create', c.status, c.body.id);
const ops = [{ op: 'add', path: '/name', value: [{ family: 'y'.repeat(4096) }] }];
const p = request(t.app).patch(`/fhir/Patient/${c.body.id}`).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(ops)).timeout(5000);
try { const r = await p; console.log('patch', r.status, r.headers['content-type'], r.text.slice(0,300)); } catch (e) { console.log('patch error', (e as Error).message); }
await t.close();
