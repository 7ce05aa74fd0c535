// Checks Kubernetes manifests against the API schemas, offline, with kubernetes-models
// (installed here by .ci/run: npm ci --prefix .ci/npm). Reads a JSON array of resources on stdin;
// prints one line per invalid resource and exits 1 if there is any.
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';

const models = {
  'v1/ConfigMap': ConfigMap, 'v1/Secret': Secret, 'v1/Service': Service, 'apps/v1/Deployment': Deployment,
};
let input = '';
for await (const chunk of process.stdin) input += chunk;
let invalid = 0;
for (const resource of JSON.parse(input)) {
  const type = `${resource.apiVersion}/${resource.kind}`;
  const name = `${type} ${resource.metadata?.name}`;
  const Model = models[type];
  if (!Model) {
    console.log(`${name}: no schema here for this kind`);
    invalid++;
    continue;
  }
  try {
    new Model(resource).validate();
    console.log(`${name}: valid`);
  } catch (error) {
    console.log(`${name}: ${error.message}`);
    invalid++;
  }
}
process.exit(invalid === 0 ? 0 : 1);
