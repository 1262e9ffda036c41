export { GenerationService } from './generationService';
