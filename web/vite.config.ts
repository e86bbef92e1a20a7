import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w web` proxies the API to a Modelyard started with `npm start` (PORT 8080 by default).
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Ant Design and Chart.js are large and change rarely: their own chunks stay cached across releases.
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'antd', test: /node_modules[\\/](antd|@ant-design|@rc-component|rc-[^\\/]+)[\\/]/ },
            { name: 'charts', test: /node_modules[\\/](chart\.js|react-chartjs-2)[\\/]/ },
          ],
        },
      },
    },
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
