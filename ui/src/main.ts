import { mount } from 'svelte';
import App from './App.svelte';
import { DARK_QUERY, applyScheme, resolveTheme } from './features/layout/theme';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

// The system's colours until the settings are read (the app then follows the Appearance setting).
applyScheme(document.documentElement, resolveTheme('system', window.matchMedia?.(DARK_QUERY).matches ?? false));

export default mount(App, { target });
