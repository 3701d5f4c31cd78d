# crm-unify: runs from TypeScript sources through tsx (no build step to drift from the code).
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc's per-thread malloc arenas: LevelDB's and libuv's threads each got their own, about 200 MB
# of peak RSS over the seed data for nothing (BENCHMARKS §1).
ENV MALLOC_ARENA_MAX=2
COPY package.json package-lock.json ./
RUN npm ci --include=dev && npm cache clean --force
COPY src ./src
COPY topologies ./topologies
COPY bin ./bin
COPY tsconfig.json ./
USER node
EXPOSE 9464
ENTRYPOINT ["node", "--max-semi-space-size=64", "bin/crm-unify.js"]
CMD ["run", "shop-a", "shop-b", "--config", "/config/crm-unify.yaml"]
