import { defineConfig } from 'vite';
import { appConfig } from './src/server/app-config.ts';

export default defineConfig(appConfig());
